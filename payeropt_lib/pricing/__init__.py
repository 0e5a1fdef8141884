"""What the contract says a line should be allowed, on its date of service.

Owns the contracts and rates in force (``contracts``), the tolerance allowed may stray by
(``tolerance``) and the expected allowed amount with its explanation (``expected``, built
from ``encoding``, ``rate_book``, ``line_prices``, ``explanations`` and
``engine_runtime``). Pure functions over frames: no store access.
May import: the kernel (``errors``, ``config``, ``formats``, ``money``,
``periods``), ``store``, ``reference``, ``inputs``.
"""
