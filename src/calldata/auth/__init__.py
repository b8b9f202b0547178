"""Identity and permissions: users, grants, sessions, API keys, login throttling and the audit log.

The store access lives in one module per table group; `authenticate` turns credentials into an
`Identity`, and `permissions` decides what an identity may read. HTTP lives in
`calldata.api.auth_routes`, the CLI in `calldata.cli.users` and `calldata.cli.keys`.
"""
