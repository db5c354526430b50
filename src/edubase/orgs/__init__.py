"""Organisation tree (province → prefectures → counties → schools, bureaus, units) and school codes (一校一码)."""
