"""What the contract says a line should be allowed, on its date of service.

Owns the contracts and rates in force (``contracts``) and the expected allowed amount with
its explanation (``expected``). Pure functions over frames: no store access.
May import: ``errors``, ``config``, ``store``, ``reference``, ``inputs``.
"""
