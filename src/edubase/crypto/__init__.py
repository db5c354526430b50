"""Commercial cryptography (商用密码) for edubase: SM2, SM3, SM4, keys, envelope
encryption, encrypted model fields, blind indexes and tamper-evident chains.

Primitives (``sm2``, ``sm3``, ``sm4``, ``encoding``, ``providers``, ``keystore``,
``hierarchy``, ``chain``) do not import Django; ``keyring``, ``fields``, ``models``
and the ``crypto`` management command integrate them with the project.
"""
