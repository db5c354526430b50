"""Persons (一人一号): one lifelong internal ID, national identifiers, memberships."""
