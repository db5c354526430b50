"""Education data governance (教育数据治理): catalogue, classification and grading, policy and sharing, life cycle."""
