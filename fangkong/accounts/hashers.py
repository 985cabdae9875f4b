"""The hash of a one-time password the platform made itself.

A one-time password (``services.one_time_password``) is 12 characters drawn at random from 55, about
69 bits: guessing it from its hash is out of reach without key stretching, which exists for the
passwords people choose. Hashing 800 slips at Django's default cost (about 0.3 s each) would take
minutes; this hasher uses PBKDF2 with 1,000 iterations for those passwords only. The first login
upgrades the hash to the default hasher, and the first thing that login does is change it.
"""

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class OneTimePasswordHasher(PBKDF2PasswordHasher):
    algorithm = "pbkdf2_onetime"
    iterations = 1_000
