"""What the public page's own process needs from the bot: which rooms are private, and a
version number of everything the page shows (see storage.web.versioning)."""
