"""Education e-certificates (教育电子证照): templates, issuance, W3C VC 2.0 with SM2, status lists, verification."""
