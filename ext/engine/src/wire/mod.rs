//! ZMTP 3.x codec (sans-IO).
