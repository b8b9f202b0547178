"""Placeholder: being written."""
def serve() -> None:
    raise NotImplementedError
