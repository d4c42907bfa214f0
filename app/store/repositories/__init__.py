"""All database queries live here, one module per aggregate. Repositories never commit."""
