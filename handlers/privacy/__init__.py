"""Privacy rights in chat: the notice, a person's data export, erasure and retention."""
