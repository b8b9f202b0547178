"""Placeholder: being written."""
def import_files() -> None:
    raise NotImplementedError
