"""Polaris core: the pure analytical brain of the customer-success dashboard.

Nothing in this package imports Streamlit; the dashboard, the command line and the tests
all call the same functions.
"""

__version__ = "0.1.0"
