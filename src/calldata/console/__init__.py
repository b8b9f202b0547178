"""The web console: server-rendered pages (Jinja2) over the same store, users and sessions as the API."""
