"""Sub-commands beyond ``scan``, each in its own module, registered on the CLI group in cli.py."""
