import { dismiss, notices } from "../state/notices.js";

export function Notices() {
  if (notices.value.length === 0) return null;
  return (
    <ul class="notices">
      {notices.value.map((notice) => (
        <li key={notice.id} role="alert" class="notice">
          <span>{notice.message}</span>
          <button type="button" class="link" onClick={() => dismiss(notice.id)}>
            Dismiss
          </button>
        </li>
      ))}
    </ul>
  );
}
