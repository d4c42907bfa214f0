"""The web layer: routes that parse, call one service and render; and the glue around them."""
