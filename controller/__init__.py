"""printstation: the controller of an e-KTP card printing kiosk."""


def __getattr__(name: str) -> str:
    """`__version__`: the installed distribution's (VERSION at the root), read when first asked,
    so a process that never asks (the web page's) loads no `importlib.metadata`."""
    if name == "__version__":
        from importlib.metadata import version

        return version("printstation")
    raise AttributeError(f"module 'controller' has no attribute {name!r}")
