"""Attribution: deciding each CDR's companies, numbers, trunk and story from the directory."""
