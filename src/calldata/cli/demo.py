"""Placeholder: being written."""
def demo() -> None:
    raise NotImplementedError
def generate() -> None:
    raise NotImplementedError
