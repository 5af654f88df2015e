"""The Google Sheet client (see the modules for what each owns)."""
