"""Rating: the price each company pays and the cost each carrier charges for an outside leg."""
