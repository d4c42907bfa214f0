"""What the sandbox org does: one module per kind of Okta object, holding the rules (validation,
uniqueness, lifecycle), the mutations (which record System Log events), and the rendering of
Okta's JSON. The HTTP layer in ``okta_sandbox.api`` only parses requests and calls these."""
