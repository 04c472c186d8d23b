"""Words and number formats of the report, Vietnamese first, English second.

Rules: every label the renderers print comes from :data:`LABELS` (``key -> (vi, en)``);
:func:`t` falls back to the key itself, so a missing word shows rather than breaks.
Times are shown in the conference's time zone; Vietnamese uses a decimal comma.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

LANGS = ("vi", "en")

LABELS: dict[str, tuple[str, str]] = {
    "report": ("Báo cáo tổng hợp hội nghị", "Conference summary report"),
    "generated": ("Lập lúc", "Generated at"),
    "window": ("Thời gian hội nghị", "Conference time"),
    "from_log": (
        "Mọi số liệu được tính từ nhật ký sự kiện của hệ thống.",
        "Every figure is computed from the system's event log.",
    ),
    "tampered": (
        "CẢNH BÁO: NHẬT KÝ KHÔNG TOÀN VẸN — CHUỖI BĂM KHÔNG KHỚP. BÁO CÁO NÀY KHÔNG ĐÁNG TIN CẬY.",
        "WARNING: THE LOG IS NOT INTACT — THE HASH CHAIN DOES NOT VERIFY."
        " DO NOT RELY ON THIS REPORT.",
    ),
    "broken_at": ("Hỏng tại sự kiện số", "Broken at event"),
    "broken.unreadable": ("không đọc được sự kiện", "the event cannot be read"),
    "broken.gap": ("thiếu sự kiện trước đó", "an earlier event is missing"),
    "broken.unlinked": (
        "không nối với mã băm của sự kiện trước",
        "it does not point at the previous event's hash",
    ),
    "broken.altered": (
        "nội dung đã bị sửa, mã băm không khớp",
        "its content was altered: the hash does not match",
    ),
    "events": ("sự kiện", "events"),
    "summary": ("Tóm tắt", "Summary"),
    "sites_checked_in": ("Điểm cầu đã điểm danh", "Sites checked in"),
    "attendance": ("Điểm cầu và đường truyền", "Sites and links"),
    "samples_not_durable": (
        "RTT và tỷ lệ mất gói là giá trị ghi lại tại mỗi lần đổi trạng thái đường truyền; "
        "các mẫu đo từng giây không được lưu vào nhật ký nên không có trong báo cáo.",
        "RTT and loss are the values recorded at each change of link state; the per-ping "
        "samples are not stored in the log, so the report cannot use them.",
    ),
    "strip": ("Trạng thái đường truyền theo thời gian", "Link state over time"),
    "faults": ("Sự cố kỹ thuật", "Technical faults"),
    "faults_chart": ("Sự cố theo thời gian", "Faults over time"),
    "fault_times": ("Thời gian tiếp nhận và xử lý", "Time to acknowledge and to resolve"),
    "fault_breakdown": ("Phân loại sự cố", "Faults by kind"),
    "speaking": ("Phát biểu", "Speaking"),
    "speeches": ("Các lượt phát biểu", "Speeches"),
    "speaking_sites": ("Phát biểu theo điểm cầu", "Speaking per site"),
    "speaking_chart": ("Thời gian phát biểu theo điểm cầu", "Speaking time per site"),
    "runscript": ("Kịch bản: kế hoạch và thực tế", "Run-script: planned and actual"),
    "testcalls": ("Kiểm tra kết nối trước hội nghị", "Connectivity test before the day"),
    "audit": ("Kiểm tra toàn vẹn nhật ký", "Log integrity"),
    "site": ("Điểm cầu", "Site"),
    "code": ("Mã", "Code"),
    "name": ("Tên điểm cầu", "Site name"),
    "checked_in_at": ("Điểm danh lúc", "Checked in at"),
    "connected": ("Thời gian kết nối", "Connected"),
    "link_source": ("Đo theo", "Measured by"),
    "presence": ("Kỹ thuật viên trực tuyến", "Technician online"),
    "bridge": ("Cầu truyền hình", "Bridge"),
    "endpoint": ("Thiết bị đầu cuối", "Endpoint"),
    "console": ("Máy kỹ thuật viên", "Technician's console"),
    "share": ("Tỷ lệ", "Share"),
    "online": ("Tốt", "Online"),
    "degraded": ("Kém", "Degraded"),
    "offline": ("Mất kết nối", "Offline"),
    "unknown": ("Chưa rõ", "Unknown"),
    "dropouts": ("Số lần rớt", "Drop-outs"),
    "longest_outage": ("Mất lâu nhất", "Longest outage"),
    "rtt_median": ("RTT trung vị (ms)", "Median RTT (ms)"),
    "rtt_p95": ("RTT p95 (ms)", "p95 RTT (ms)"),
    "loss_median": ("Mất gói trung vị (%)", "Median loss (%)"),
    "loss_p95": ("Mất gói p95 (%)", "p95 loss (%)"),
    "fault_id": ("Số", "No."),
    "category": ("Loại", "Category"),
    "severity": ("Mức độ", "Severity"),
    "reported_at": ("Báo lúc", "Reported at"),
    "to_ack": ("Tiếp nhận sau", "Acknowledged after"),
    "to_resolve": ("Xử lý xong sau", "Resolved after"),
    "state": ("Trạng thái", "State"),
    "escalated": ("Quá hạn tiếp nhận", "Escalated"),
    "description": ("Mô tả", "Description"),
    "scope": ("Phạm vi", "Scope"),
    "all_sites": ("Tất cả", "All sites"),
    "count": ("Số lượng", "Count"),
    "ack_median": ("Tiếp nhận: trung vị", "Ack: median"),
    "ack_p90": ("Tiếp nhận: p90", "Ack: p90"),
    "ack_worst": ("Tiếp nhận: lâu nhất", "Ack: worst"),
    "res_median": ("Xử lý: trung vị", "Resolve: median"),
    "res_p90": ("Xử lý: p90", "Resolve: p90"),
    "res_worst": ("Xử lý: lâu nhất", "Resolve: worst"),
    "open_now": ("Còn mở", "Still open"),
    "dimension": ("Theo", "By"),
    "value": ("Giá trị", "Value"),
    "speaker": ("Người phát biểu", "Speaker"),
    "title": ("Chức vụ", "Title"),
    "start": ("Bắt đầu", "Start"),
    "duration": ("Thời lượng", "Duration"),
    "limit": ("Giới hạn", "Limit"),
    "overrun": ("Vượt", "Overrun"),
    "requests": ("Đăng ký", "Requests"),
    "approved": ("Được duyệt", "Approved"),
    "rejected": ("Từ chối", "Rejected"),
    "withdrawn": ("Rút", "Withdrawn"),
    "speech_count": ("Lượt nói", "Speeches"),
    "total": ("Tổng thời gian", "Total time"),
    "order": ("TT", "No."),
    "content": ("Nội dung", "Content"),
    "presenter": ("Người thực hiện", "Presenter"),
    "planned_start": ("Giờ kế hoạch", "Planned start"),
    "actual_start": ("Giờ thực tế", "Actual start"),
    "delay": ("Chậm", "Delay"),
    "planned_duration": ("Thời lượng kế hoạch", "Planned duration"),
    "actual_duration": ("Thời lượng thực tế", "Actual duration"),
    "status": ("Tình trạng", "Status"),
    "verdict": ("Kết quả", "Verdict"),
    "mos": ("MOS", "MOS"),
    "metrics": ("Chỉ số đo", "Metrics"),
    "reasons": ("Lý do", "Reasons"),
    "retries": ("Gọi lại", "Retries"),
    "tested_at": ("Kiểm tra lúc", "Tested at"),
    "chain": ("Chuỗi băm", "Hash chain"),
    "verified": ("HỢP LỆ", "VERIFIED"),
    "broken": ("KHÔNG HỢP LỆ", "BROKEN"),
    "first_seq": ("Sự kiện đầu", "First seq"),
    "last_seq": ("Sự kiện cuối", "Last seq"),
    "event_count": ("Số sự kiện", "Events"),
    "head_hash": ("Mã băm cuối", "Last hash"),
    "checkpoint_count": ("Số điểm ký xác nhận", "Signed checkpoints"),
    "signed_through": ("Đã ký xác nhận đến sự kiện", "Signed through seq"),
    "signed_at": ("Ký lần cuối lúc", "Last signed at"),
    "signing_key": ("Khóa ký", "Signing key"),
    "unsigned_events": ("Sự kiện chưa được ký", "Events not yet signed"),
    "checkpoint_problems": ("Điểm ký không khớp", "Checkpoint problems"),
    "reason": ("Lý do", "Reason"),
    "done": ("Đã xong", "Done"),
    "running": ("Đang diễn ra", "Running"),
    "not_started": ("Chưa thực hiện", "Not run"),
    "yes": ("Có", "Yes"),
    "no": ("Không", "No"),
    "none": ("Không có", "None"),
    "pass": ("Đạt", "Pass"),
    "warn": ("Cần lưu ý", "Warning"),
    "fail": ("Không đạt", "Fail"),
    "not_tested": ("Chưa gọi thử", "Not tested"),
    "critical": ("Nghiêm trọng", "Critical"),
    "major": ("Lớn", "Major"),
    "minor": ("Nhỏ", "Minor"),
    "audio": ("Âm thanh", "Audio"),
    "video": ("Hình ảnh", "Video"),
    "network": ("Đường truyền", "Network"),
    "equipment": ("Thiết bị", "Equipment"),
    "power": ("Nguồn điện", "Power"),
    "other": ("Khác", "Other"),
    "open": ("Mới", "Open"),
    "acknowledged": ("Đã tiếp nhận", "Acknowledged"),
    "resolved": ("Đã xử lý", "Resolved"),
    "confirmed": ("Đã xác nhận", "Confirmed"),
    "reopened": ("Mở lại", "Reopened"),
    "escalations": ("Quá hạn tiếp nhận", "Escalations"),
    "agenda_overruns": ("Mục quá giờ", "Items over time"),
    "items_run": ("Mục đã thực hiện", "Items run"),
    "no_rows": ("Không có dữ liệu.", "Nothing recorded."),
    "minutes": ("phút", "min"),
    "item": ("Mục", "Item"),
    "classification": ("Độ mật", "Classification"),
    "minutes_section": ("Biên bản hội nghị", "Minutes of the conference"),
    "minutes_attendance": (
        "Điểm cầu tham dự: {present}/{sites}; số đại biểu các điểm cầu báo: {delegates}.",
        "Sites present: {present} of {sites}; delegates the sites declared: {delegates}.",
    ),
    "minutes_opening": ("Trước khi vào chương trình", "Before the run-script"),
    "minutes_speech": ("Phát biểu", "Speech"),
    "minutes_by": ("Người ghi", "Written by"),
    "minutes_edited": ("sửa", "edited"),
    "minutes_empty": ("Chưa có ghi chép.", "Nothing recorded."),
    "class_normal": ("Thường", "Unclassified"),
    "class_confidential": ("Mật", "Confidential"),
    "class_secret": ("Tối mật", "Secret"),
    "followup": ("Kết luận và theo dõi thực hiện", "Conclusions and their follow-up"),
    "conclusion": ("Kết luận", "Conclusion"),
    "deadline": ("Hạn hoàn thành", "Deadline"),
    "percent": ("Hoàn thành (%)", "Done (%)"),
    "overdue": ("Quá hạn", "Overdue"),
    "last_report": ("Báo cáo gần nhất", "Latest report"),
    "accepted_at": ("Tiếp nhận kết quả lúc", "Accepted at"),
    "part_open": ("Chưa báo cáo", "Not reported"),
    "part_in_progress": ("Đang thực hiện", "In progress"),
    "part_done": ("Đã xong, chờ tiếp nhận", "Done, waiting for acceptance"),
    "part_accepted": ("Đã tiếp nhận kết quả", "Accepted"),
    "conclusions_count": ("Kết luận", "Conclusions"),
    "parts_overdue": ("Phần việc quá hạn", "Parts overdue"),
    "parts_accepted": ("Phần việc đã tiếp nhận", "Parts accepted"),
}


def t(key: str, lang: str) -> str:
    """The label of ``key`` in ``lang`` (the key itself when unknown)."""
    pair = LABELS.get(key)
    if pair is None:
        return key
    return pair[1] if lang == "en" else pair[0]


def number(value: float | int | None, lang: str, digits: int = 1) -> str:
    """A number for people: ``12,5`` in Vietnamese, ``12.5`` in English; "" for None."""
    if value is None:
        return ""
    text = str(value) if isinstance(value, int) else f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "vi" else text


def duration(value: float | None) -> str:
    """Seconds as ``m:ss`` or ``h:mm:ss`` (negative with a sign); "" for None."""
    if value is None:
        return ""
    sign = "-" if value < 0 else ""
    total = int(round(abs(value)))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{sign}{h}:{m:02d}:{s:02d}" if h else f"{sign}{m}:{s:02d}"


def duration_words(value: float | None, lang: str) -> str:
    """Seconds in words: ``14 phút 15 giây`` / ``14 min 15 s`` ("" for None)."""
    if value is None:
        return ""
    total = int(round(abs(value)))
    h, rest = divmod(total, 3600)
    m, sec = divmod(rest, 60)
    units = ("giờ", "phút", "giây") if lang == "vi" else ("h", "min", "s")
    parts = [f"{n} {unit}" for n, unit in zip((h, m, sec), units, strict=True) if n]
    return " ".join(parts) or f"0 {units[2]}"


def clock(ms: int | None, tz: str, with_date: bool = False) -> str:
    """A time of day (or date and time) in the conference's zone; "" for None."""
    if ms is None:
        return ""
    local = datetime.fromtimestamp(ms / 1000, ZoneInfo(tz))
    return local.strftime("%d/%m/%Y %H:%M:%S" if with_date else "%H:%M:%S")


def iso(ms: int | None, tz: str) -> str:
    """An ISO 8601 local time with offset (for CSV); "" for None."""
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000, ZoneInfo(tz)).isoformat(timespec="seconds")
