"""The /graphql endpoint (strawberry), over the same services as REST (issue 4)."""
