"""Small pieces shared by every layer: validation errors and text rules."""
