"""The Matrix platform: nio client and sync loop (`adapter`), event JSON (`events`), user ids
(`identity`), reaction bookkeeping (`reactions`), and the demo's room set-up (`provisioning`).

Importing this package imports no chat library, so `bot.config` can use `identity`.
"""
