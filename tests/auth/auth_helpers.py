"""What the identity tests share besides fixtures."""

PASSWORD = "correct horse battery staple"  # every test user's password unless a test says otherwise
