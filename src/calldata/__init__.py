"""calldata: attributed Asterisk CDRs for multi-company PBXs, served through the Call Data API."""

__version__ = "0.1.0"
