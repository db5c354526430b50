"""The web console: layout, navigation, dashboard and the pages of every domain."""
