"""Reference stage: the unit registry and the indicator catalogue (versioned data in ``data/``)."""
