/** One encryption key for every test process, so processes sharing a PostgreSQL database read each other's secrets. */
export const TEST_ENCRYPTION_KEY = "b2tyby10ZXN0LWVuY3J5cHRpb24ta2V5LTMyYnl0ZXM=";
