"""Figures for the packet and the dashboards: documented frame in, plotly Figure out.

Functions here never call ``.show()`` and never compute a business number: they reshape
and label what the compute modules return. One module per page; ``base`` holds what they
share. Money is turned into dollar text for labels only (``formats``).
"""

from .audit import *  # noqa: F403
from .base import ALL_COLOR as ALL_COLOR
from .base import PAYER_COLORS as PAYER_COLORS
from .coding import *  # noqa: F403
from .denials import *  # noqa: F403
from .fees import *  # noqa: F403
from .mix import *  # noqa: F403
from .performance import *  # noqa: F403
from .reconciliation import *  # noqa: F403
from .renewals import *  # noqa: F403
from .rules import *  # noqa: F403
from .trends import *  # noqa: F403
from .underpayments import *  # noqa: F403
