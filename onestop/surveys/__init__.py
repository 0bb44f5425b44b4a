"""E-surveys (the VNFORM idea): staff build a versioned survey, share it by link or QR code, and read the results."""
