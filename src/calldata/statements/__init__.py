"""Monthly statements: what each company owes for its rated calls, and what each carrier's calls cost."""
