"""Dashboards: a company's (or the operator's) calls, minutes and amounts of a day or month, for charts."""
