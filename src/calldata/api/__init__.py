"""The HTTP side of calldata: a Starlette app serving the Call Data API (`create_app` in app.py)."""
