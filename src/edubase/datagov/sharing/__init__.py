"""Data permissions and sharing (数据共享): policy engine, masking, share requests, extracts, life cycle."""
