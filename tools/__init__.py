"""The demos, run from the checkout as modules: `python -m tools.demo` (`make demo`) and
`python -m tools.demo_central` (`make demo-central`)."""
