"""``python -m payeropt_lib.cli``: the ``payeropt`` command without its script."""

from payeropt_lib.cli import main

main()
