"""Provincial data aggregation (数据汇聚): collection templates, roster submissions, quality, golden records."""
