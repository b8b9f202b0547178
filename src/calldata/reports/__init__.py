"""Call reports (reports.md): a company's calls in per extension, out per device, for one period."""
