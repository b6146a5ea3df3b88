//! Stage 2, features: 16 kHz samples -> YAMNet's log-mel spectrogram and 96-frame patches.
