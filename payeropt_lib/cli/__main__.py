"""``python -m payeropt_lib.cli``: the ``payeropt`` command without its script."""

from payeropt_lib.cli import main

if __name__ == "__main__":  # importing the module (tests import every one) runs nothing
    main()
