"""payeropt: payer-optimization workbench for independent US medical practices.

Importing the package connects to nothing and configures nothing.
"""

__version__ = "0.1.0"
