"""Notifications, device tokens and push (contract section 10).

- `models`: the `Notification` rows (each once per event: a key unique per recipient) and the
  `DeviceToken` rows push goes to.
- `services`: `notify` and `notify_many`, the triggers the rest of the code calls (a follow,
  credits bought or refunded, a stream going live...), reading and device tokens.
- `tasks`: the fan-out to followers (and reminders, guests, everyone) in batches, and push.
- `push`: the pluggable push backends (`PUSH_BACKEND`).
"""
