"""The ``valuedrift`` command line: one module per verb, registered in :mod:`valuedrift.cli.main`."""
