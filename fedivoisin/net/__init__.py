"""Outbound HTTP internals; import the public API from `fedivoisin.http`."""
