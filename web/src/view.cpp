// The chat view. See view.hpp.
//
// Sections: constants and small drawing helpers · the frame · header and connection strip ·
// conversation list · messages (layout cache, bubbles, actions, asks, typing) · banners ·
// input bar.
#include "view.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <unordered_map>

#include "message_layout.hpp"

namespace palaver::web {
namespace {

// ---- constants and small drawing helpers ------------------------------------------------

constexpr float font_size = body_size;
constexpr float header_height = 56;
constexpr float strip_height = 26;
constexpr float input_bar_height = 64;
constexpr float side_padding = 14;
constexpr float bubble_padding_x = 12;
constexpr float bubble_padding_y = 9;
constexpr float bubble_rounding = 14;
constexpr float message_gap = 14;
constexpr float meta_height = small_size * 1.6f;
constexpr float action_size = 26;
constexpr float ask_height = font_size * 5;    // a question card
constexpr float retry_height = font_size * 2;  // a pill button's (Retry and the like)
constexpr float failure_gap = 4;               // between the Retry button and the reason

// The widest a bubble (or the reason under a failed one) gets in a list `content_width` wide.
float bubble_max_width(float content_width) {
  return std::floor(content_width * 0.86f);
}

enum class icon { menu, plus, close, send, stop, copy, thumb_up, thumb_down, regenerate, back };

ImU32 with_alpha(ImU32 color, float alpha) {
  const ImU32 a = static_cast<ImU32>(((color >> IM_COL32_A_SHIFT) & 0xFF) * alpha);
  return (color & ~IM_COL32_A_MASK) | (a << IM_COL32_A_SHIFT);
}

// A thumb in a box of side s at p, pointing up (or down: mirrored vertically).
void draw_thumb(ImDrawList* list, ImVec2 p, float s, ImU32 color, bool up) {
  const auto at = [&](float x, float y) { return ImVec2(p.x + x * s, p.y + (up ? y : 1 - y) * s); };
  list->AddRectFilled(at(0.12f, 0.45f), at(0.3f, 0.9f), color, 1.5f);  // the cuff
  list->PathLineTo(at(0.38f, 0.45f));
  list->PathLineTo(at(0.55f, 0.1f));
  list->PathLineTo(at(0.66f, 0.16f));
  list->PathLineTo(at(0.6f, 0.4f));
  list->PathLineTo(at(0.88f, 0.4f));
  list->PathLineTo(at(0.9f, 0.52f));
  list->PathLineTo(at(0.8f, 0.9f));
  list->PathLineTo(at(0.38f, 0.9f));
  list->PathStroke(color, ImDrawFlags_Closed, 1.6f);
}

void draw_icon(ImDrawList* list, icon what, ImVec2 center, float size, ImU32 color) {
  const float h = size / 2;
  const ImVec2 c = center;
  switch (what) {
    case icon::menu:
      for (int i = -1; i <= 1; ++i)
        list->AddLine({c.x - h, c.y + i * h * 0.6f}, {c.x + h, c.y + i * h * 0.6f}, color, 2);
      break;
    case icon::plus:
      list->AddLine({c.x - h, c.y}, {c.x + h, c.y}, color, 2);
      list->AddLine({c.x, c.y - h}, {c.x, c.y + h}, color, 2);
      break;
    case icon::close:
      list->AddLine({c.x - h * 0.8f, c.y - h * 0.8f}, {c.x + h * 0.8f, c.y + h * 0.8f}, color, 2);
      list->AddLine({c.x - h * 0.8f, c.y + h * 0.8f}, {c.x + h * 0.8f, c.y - h * 0.8f}, color, 2);
      break;
    case icon::send:
      list->AddTriangleFilled({c.x - h * 0.8f, c.y - h * 0.9f}, {c.x + h, c.y},
                              {c.x - h * 0.8f, c.y + h * 0.9f}, color);
      break;
    case icon::stop:
      list->AddRectFilled({c.x - h * 0.6f, c.y - h * 0.6f}, {c.x + h * 0.6f, c.y + h * 0.6f}, color,
                          2);
      break;
    case icon::copy:
      list->AddRect({c.x - h * 0.8f, c.y - h * 0.4f}, {c.x + h * 0.3f, c.y + h * 0.9f}, color, 2, 0,
                    1.5f);
      list->AddRect({c.x - h * 0.3f, c.y - h * 0.9f}, {c.x + h * 0.8f, c.y + h * 0.4f}, color, 2, 0,
                    1.5f);
      break;
    case icon::thumb_up:
    case icon::thumb_down:
      draw_thumb(list, {c.x - h, c.y - h}, size, color, what == icon::thumb_up);
      break;
    case icon::regenerate:
      list->PathArcTo(c, h * 0.8f, 0.6f, 5.6f, 16);
      list->PathStroke(color, 0, 1.6f);
      list->AddTriangleFilled({c.x + h * 0.95f, c.y - h * 0.55f}, {c.x + h * 0.25f, c.y - h * 0.2f},
                              {c.x + h * 0.95f, c.y + h * 0.15f}, color);
      break;
    case icon::back:
      list->AddLine({c.x + h * 0.4f, c.y - h * 0.8f}, {c.x - h * 0.4f, c.y}, color, 2);
      list->AddLine({c.x - h * 0.4f, c.y}, {c.x + h * 0.4f, c.y + h * 0.8f}, color, 2);
      break;
  }
}

// Whether the last item has keyboard focus the visitor can see (ImGui keeps a nav focus on
// the first item even for mouse users: showing that would look like a stuck hover).
bool keyboard_focused() {
  return ImGui::IsItemFocused() && ImGui::GetIO().NavVisible;
}

// An invisible button at `pos` with a round hover background and an icon on top.
bool icon_button(const char* id, ImVec2 pos, float side, icon what, ImU32 color, ImU32 hover,
                 float icon_size = 14) {
  ImGui::SetCursorScreenPos(pos);
  const bool clicked = ImGui::InvisibleButton(id, {side, side});
  ImDrawList* list = ImGui::GetWindowDrawList();
  const ImVec2 center{pos.x + side / 2, pos.y + side / 2};
  if (ImGui::IsItemHovered() || keyboard_focused())
    list->AddCircleFilled(center, side / 2, hover, 24);
  draw_icon(list, what, center, icon_size, color);
  return clicked;
}

// A rounded text button; returns whether it was clicked.
float pill_width(text_painter& painter, face font, std::string_view label) {
  return painter.width(font, label) + 24;
}

bool pill_button(text_painter& painter, const char* id, std::string_view label, ImVec2 pos,
                 face font, ImU32 text, ImU32 fill, ImU32 border, ImVec2* size_out = nullptr) {
  const ImVec2 size{pill_width(painter, font, label), retry_height};
  if (size_out) *size_out = size;
  ImGui::SetCursorScreenPos(pos);
  const bool clicked = ImGui::InvisibleButton(id, size);
  ImDrawList* list = ImGui::GetWindowDrawList();
  const bool hot = ImGui::IsItemHovered() || keyboard_focused();
  list->AddRectFilled(pos, {pos.x + size.x, pos.y + size.y}, hot ? with_alpha(fill, 0.8f) : fill,
                      size.y / 2);
  list->AddRect(pos, {pos.x + size.x, pos.y + size.y}, border, size.y / 2);
  painter.draw(list, font, {pos.x + 12, pos.y + (size.y - face_size(font)) / 2}, text, label);
  return clicked;
}

msg connection_label(connection_state state) {
  switch (state) {
    case connection_state::connecting:
      return msg::status_connecting;
    case connection_state::online:
      return msg::status_online;
    case connection_state::reconnecting:
      return msg::status_reconnecting;
    case connection_state::offline:
      break;
  }
  return msg::status_offline;
}

}  // namespace

// The per-message layouts, by message id: laid out again only when the text or width changes.
struct chat_view::layout_cache {
  struct entry {
    std::size_t text_size = 0;
    seq_t seq = 0;
    float width = 0;
    std::uint32_t generation = 0;  // the painter's, when laid out
    laid_out_text laid;
  };
  std::unordered_map<std::string, entry> entries;

  const laid_out_text& get(const std::string& key, const std::string& text, seq_t seq,
                           bool markdown, float width, const layout_style& style) {
    entry& e = entries[key];
    const std::uint32_t generation = style.painter->generation();
    if (e.width != width || e.seq != seq || e.text_size != text.size() ||
        e.generation != generation || e.laid.texts.empty()) {
      e.laid = lay_out(text, markdown, width, style);
      e.generation = generation;
      e.width = width;
      e.seq = seq;
      e.text_size = text.size();
    }
    return e.laid;
  }
};

chat_view::chat_view(const catalogue& words, text_painter& painter, palette colors)
    : words_(words), painter_(painter), colors_(colors), cache_(std::make_unique<layout_cache>()) {}

chat_view::~chat_view() = default;

// ---- the frame ----------------------------------------------------------------------------

void chat_view::draw(view_model& model, view_services& services, timestamp_ms now) {
  animating_ = false;
  const ImGuiIO& io = ImGui::GetIO();
  const float width = io.DisplaySize.x, height = io.DisplaySize.y;
  ImGui::SetNextWindowPos({0, 0});
  ImGui::SetNextWindowSize(io.DisplaySize);
  ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, {0, 0});
  ImGui::PushStyleVar(ImGuiStyleVar_WindowBorderSize, 0);
  ImGui::PushStyleVar(ImGuiStyleVar_WindowRounding, 0);
  ImGui::PushStyleVar(ImGuiStyleVar_ScrollbarSize, 6);
  ImGui::PushStyleColor(ImGuiCol_WindowBg, colors_.background);
  ImGui::PushStyleColor(ImGuiCol_ChildBg, colors_.background);
  ImGui::PushStyleColor(ImGuiCol_ScrollbarBg, 0);
  ImGui::PushStyleColor(ImGuiCol_ScrollbarGrab, with_alpha(colors_.muted, 0.5f));
  ImGui::PushStyleColor(ImGuiCol_NavHighlight, colors_.brand);
  ImGui::Begin("palaver", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                   ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus |
                   ImGuiWindowFlags_NoScrollWithMouse);

  float top = draw_header(model, services, width);
  if (model.connection() != connection_state::online) top = draw_strip(model, top, width);
  const float banners = banners_height(model, width);
  const ImVec2 area_min{0, top};
  const ImVec2 area_max{width, height - input_bar_height - banners};
  if (show_conversations_)
    draw_conversations(model, services, area_min, area_max);
  else
    draw_messages(model, services, area_min, area_max, now);
  draw_banners(model, {0, area_max.y}, width);
  draw_input(model, services, {0, height - input_bar_height}, width, now);

  ImGui::End();
  ImGui::PopStyleColor(5);
  ImGui::PopStyleVar(4);
}

// ---- header and connection strip --------------------------------------------------------

float chat_view::draw_header(view_model& model, view_services& services, float width) {
  ImDrawList* list = ImGui::GetWindowDrawList();
  list->AddRectFilled({0, 0}, {width, header_height}, colors_.brand);
  const ImU32 ink = colors_.on_brand;
  const ImU32 hover = with_alpha(ink, 0.15f);
  const float button = 34;
  const float y = (header_height - button) / 2;
  float x = 10;
  if (show_conversations_) {
    if (icon_button("##back", {x, y}, button, icon::back, ink, hover)) show_conversations_ = false;
  } else if (icon_button("##conversations", {x, y}, button, icon::menu, ink, hover)) {
    show_conversations_ = true;
  }
  x += button + 6;
  const std::string_view title =
      words_.text(show_conversations_ ? msg::header_conversations : msg::title);
  painter_.draw(list, face::bold, {x, 8}, ink, title);
  const std::string_view status = words_.text(connection_label(model.connection()));
  const ImU32 dot =
      model.connection() == connection_state::online ? colors_.success : with_alpha(ink, 0.6f);
  list->AddCircleFilled({x + 4, 39}, 3.5f, dot, 12);
  painter_.draw(list, face::small, {x + 12, 31}, with_alpha(ink, 0.85f), status);

  if (icon_button("##close", {width - 10 - button, y}, button, icon::close, ink, hover))
    services.close_widget();
  if (icon_button("##new", {width - 16 - 2 * button, y}, button, icon::plus, ink, hover)) {
    model.new_conversation();
    show_conversations_ = false;
    services.focus_input();
  }
  return header_height;
}

float chat_view::draw_strip(const view_model& model, float top, float width) {
  ImDrawList* list = ImGui::GetWindowDrawList();
  const bool offline = model.connection() == connection_state::offline;
  const ImU32 tone = offline ? colors_.warning : colors_.muted;
  list->AddRectFilled({0, top}, {width, top + strip_height}, with_alpha(tone, 0.12f));
  const std::string_view text =
      words_.text(offline ? msg::banner_offline : connection_label(model.connection()));
  painter_.draw(list, face::small, {side_padding, top + (strip_height - small_size) / 2 - 1}, tone,
                text);
  return top + strip_height;
}

// ---- conversation list --------------------------------------------------------------------

void chat_view::draw_conversations(view_model& model, view_services& services, ImVec2 min,
                                   ImVec2 max) {
  ImGui::SetCursorScreenPos(min);
  ImGui::BeginChild("##conversation-list", {max.x - min.x, max.y - min.y});
  ImDrawList* list = ImGui::GetWindowDrawList();
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  const float width = max.x - min.x;
  float y = origin.y + 12;
  if (pill_button(painter_, "##start",
                  "+  " + std::string(words_.text(msg::button_new_conversation)),
                  {origin.x + side_padding, y}, face::bold, colors_.on_brand, colors_.brand,
                  colors_.brand)) {
    model.new_conversation();
    show_conversations_ = false;
  }
  y += font_size * 2 + 12;
  if (!model.conversations_loaded() && model.conversations().empty())
    painter_.draw(list, face::regular, {origin.x + side_padding, y}, colors_.muted,
                  words_.text(msg::list_loading));
  else if (model.conversations().empty())
    painter_.draw(list, face::regular, {origin.x + side_padding, y}, colors_.muted,
                  words_.text(msg::list_empty));
  constexpr float row = 56;
  for (const conversation& c : model.conversations()) {
    ImGui::PushID(c.id.c_str());
    ImGui::SetCursorScreenPos({origin.x, y});
    const bool clicked = ImGui::InvisibleButton("##row", {width, row});
    const bool hot = ImGui::IsItemHovered() || keyboard_focused();
    const bool current = c.id == model.current_conversation_id();
    if (hot || current)
      list->AddRectFilled({origin.x, y}, {origin.x + width, y + row},
                          current ? with_alpha(colors_.brand, 0.12f) : colors_.surface);
    const std::string_view title =
        c.title.empty() ? words_.text(msg::conversation_untitled) : std::string_view(c.title);
    list->PushClipRect({origin.x + side_padding, y}, {origin.x + width - side_padding, y + row},
                       true);
    painter_.draw(list, face::bold, {origin.x + side_padding, y + 10}, colors_.text, title);
    list->PopClipRect();
    painter_.draw(list, face::small, {origin.x + side_padding, y + 32}, colors_.muted,
                  services.format_time(c.updated_at, true));
    list->AddLine({origin.x + side_padding, y + row - 0.5f}, {origin.x + width, y + row - 0.5f},
                  colors_.border);
    if (clicked) {
      model.open_conversation(c.id);
      show_conversations_ = false;
      stick_to_bottom_ = true;
    }
    ImGui::PopID();
    y += row;
  }
  ImGui::SetCursorScreenPos({origin.x, y});
  ImGui::Dummy({1, 8});
  ImGui::EndChild();
}

// ---- messages -----------------------------------------------------------------------------

layout_style chat_view::style_for(role author) const {
  layout_style style{&painter_,          colors_,      font_size,
                     colors_.reply_text, colors_.link, words_.text(msg::button_copy)};
  if (author == role::user) {
    style.text_color = colors_.user_text;
    style.link_color = colors_.user_text;
  }
  return style;
}

// One message's place in the list, measured before anything is drawn.
struct chat_view::row {
  const message* msg = nullptr;              // a message of the transcript, or
  const pending_message* pending = nullptr;  // one not acknowledged yet
  const laid_out_text* laid = nullptr;
  float top = 0, height = 0;
  float bubble_width = 0, bubble_height = 0;
  float label_height = 0;  // an operator's name above the bubble
  float extra_height = 0;  // buttons or actions under it
  bool mine = false;
};

void chat_view::draw_messages(view_model& model, view_services& services, ImVec2 min, ImVec2 max,
                              timestamp_ms now) {
  ImGui::SetCursorScreenPos(min);
  ImGui::BeginChild("##messages", {max.x - min.x, max.y - min.y}, false);
  const float view_height = max.y - min.y;
  const float content_width = max.x - min.x - 2 * side_padding;
  const float bubble_max = bubble_max_width(content_width);
  const transcript* t = model.current();
  const auto pending = model.pending();
  const message* streaming = model.streaming_reply();

  // Measure every row (layouts are cached, so this is cheap after the first frame).
  std::vector<row> rows;
  float y = 12;
  const auto add_row = [&](row r, const std::string& key, const std::string& text, seq_t seq,
                           role author) {
    const bool markdown = author != role::user;
    r.mine = author == role::user;
    r.laid = &cache_->get(key, text, seq, markdown, bubble_max - 2 * bubble_padding_x,
                          style_for(author));
    r.bubble_width = std::max(r.laid->size.x, 8.f) + 2 * bubble_padding_x;
    r.bubble_height = std::max(r.laid->size.y, font_size * 1.45f) + 2 * bubble_padding_y;
    r.top = y;
    r.height = r.label_height + r.bubble_height + meta_height + r.extra_height;
    y += r.height + message_gap;
    rows.push_back(r);
  };
  const message* last_reply = nullptr;
  if (t)
    for (const message& m : t->messages())
      if (m.author_role == role::assistant) last_reply = &m;
  if (t)
    for (const message& m : t->messages()) {
      row r;
      r.msg = &m;
      if (m.author_role == role::operator_ && !m.author.empty()) r.label_height = small_size * 1.6f;
      if (!m.buttons.empty()) r.extra_height += font_size * 2 + 8;
      if (m.author_role == role::assistant && m.status != message_status::streaming)
        r.extra_height += action_size;
      add_row(r, m.id, m.text, m.seq, m.author_role);
    }
  for (const pending_message* p : pending) {
    row r;
    r.pending = p;
    // Why it was not sent, wrapped (a sentence does not fit one line), under the line with
    // "Not sent" and the Retry button, which is taller than a meta line.
    if (p->failed)
      r.extra_height =
          retry_height - meta_height + failure_gap +
          painter_.draw_wrapped(nullptr, face::small, {}, bubble_max, 0, p->error, true);
    add_row(r, p->client_msg_id, p->text, 0, role::user);
  }
  const bool show_typing = model.typing() && (!streaming || streaming->text.empty());
  const float typing_top = y;
  if (show_typing) y += font_size * 2.6f + message_gap;
  const float asks_top = y;
  if (t) y += static_cast<float>(t->open_asks().size()) * (ask_height + message_gap);
  const float total = y;

  // Scrolling: follow new content while at the bottom; keep the view still when older
  // messages arrive on top; ask for older ones near the top.
  const float scroll = ImGui::GetScrollY();
  const bool at_bottom = scroll >= ImGui::GetScrollMaxY() - 4;
  const std::string first_id = t && !t->messages().empty() ? t->messages().front().id : "";
  if (!first_id.empty() && !anchor_id_.empty() && first_id != anchor_id_) {
    for (const row& r : rows)
      if (r.msg && r.msg->id == anchor_id_) {
        ImGui::SetScrollY(scroll + r.top - anchor_top_);
        animating_ = true;
      }
  }
  anchor_id_ = first_id;
  anchor_top_ = rows.empty() ? 0 : rows.front().top;
  if (stick_to_bottom_ && total > last_total_ + 0.5f) {
    ImGui::SetScrollY(total);
    animating_ = true;
  }
  if (ImGui::IsWindowHovered() && ImGui::GetIO().MouseWheel != 0) stick_to_bottom_ = false;
  if (at_bottom) stick_to_bottom_ = true;
  last_total_ = total;
  if (t && t->has_older() && scroll < 60) model.load_older();

  const ImVec2 origin = ImGui::GetCursorScreenPos();
  ImDrawList* list = ImGui::GetWindowDrawList();
  if (rows.empty() && !show_typing) draw_welcome(list, origin, content_width, view_height);
  if (model.loading_older())
    painter_.draw(list, face::small, {origin.x + side_padding, origin.y - 2}, colors_.muted,
                  words_.text(msg::messages_loading_earlier));

  // Draw only the rows on screen.
  for (const row& r : rows) {
    if (r.top + r.height < scroll - 50 || r.top > scroll + view_height + 50) continue;
    draw_row(model, services, r, origin, content_width, r.msg == last_reply);
  }
  if (show_typing) draw_typing(list, {origin.x + side_padding, origin.y + typing_top}, model, now);
  if (t) {
    float ask_y = asks_top;
    for (const ask_frame& a : t->open_asks()) {
      draw_ask(model, a, {origin.x + side_padding, origin.y + ask_y}, content_width);
      ask_y += ask_height + message_gap;
    }
  }
  ImGui::SetCursorScreenPos({origin.x, origin.y + total});
  ImGui::Dummy({1, 1});
  if (shown_messages_ != rows.size()) animating_ = true;  // one more frame to settle scrolling
  shown_messages_ = rows.size();
  ImGui::EndChild();
}

void chat_view::draw_welcome(ImDrawList* list, ImVec2 origin, float width, float height) {
  const float y = origin.y + height * 0.3f;
  const std::string_view title = words_.text(msg::title);
  const std::string_view greeting = words_.text(msg::greeting);
  const float title_width = painter_.width(face::heading, title);
  painter_.draw(list, face::heading, {origin.x + side_padding + (width - title_width) / 2, y},
                colors_.text, title);
  const float welcome_width = painter_.width(face::regular, greeting);
  painter_.draw(list, face::regular,
                {origin.x + side_padding + std::max(0.f, (width - welcome_width) / 2), y + 32},
                colors_.muted, greeting);
}

void chat_view::draw_row(view_model& model, view_services& services, const row& r, ImVec2 origin,
                         float width, bool last_reply) {
  ImDrawList* list = ImGui::GetWindowDrawList();
  const message* m = r.msg;
  ImGui::PushID(m ? m->id.c_str() : r.pending->client_msg_id.c_str());
  const float left = origin.x + side_padding;
  float y = origin.y + r.top;
  if (r.label_height > 0) {
    painter_.draw(list, face::small, {left + 4, y}, colors_.muted, m->author);
    y += r.label_height;
  }
  const float x = r.mine ? left + width - r.bubble_width : left;
  const role author = m ? m->author_role : role::user;
  const ImU32 fill = author == role::user        ? colors_.user_bubble
                     : author == role::operator_ ? colors_.operator_bubble
                                                 : colors_.reply_bubble;
  const float faded = r.pending ? 0.75f : 1.f;
  list->AddRectFilled({x, y}, {x + r.bubble_width, y + r.bubble_height}, with_alpha(fill, faded),
                      bubble_rounding,
                      r.mine ? ImDrawFlags_RoundCornersAll & ~ImDrawFlags_RoundCornersBottomRight
                             : ImDrawFlags_RoundCornersAll & ~ImDrawFlags_RoundCornersBottomLeft);
  const ImVec2 text_origin{x + bubble_padding_x, y + bubble_padding_y};
  draw_laid_out(*r.laid, painter_, list, text_origin);
  // Links and copy buttons inside the text.
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  if (ImGui::IsWindowHovered())
    if (const click_target* target = target_at(*r.laid, text_origin, mouse)) {
      ImGui::SetMouseCursor(ImGuiMouseCursor_Hand);
      if (ImGui::IsMouseClicked(ImGuiMouseButton_Left)) {
        if (target->what == click_target::kind::link)
          services.open_link(target->value);
        else
          services.copy_text(target->value);
      }
    }
  y += r.bubble_height;

  // The line under the bubble: time and status.
  std::string meta;
  ImU32 meta_color = colors_.muted;
  if (r.pending) {
    if (r.pending->failed) {
      meta = words_.text(msg::message_not_sent);
      meta_color = colors_.error;
    } else {
      meta = words_.text(model.connection() == connection_state::online ? msg::message_sending
                                                                        : msg::message_waiting);
    }
  } else {
    meta = services.format_time(m->created_at, false);
    switch (m->status) {
      case message_status::cancelled:
        meta += " \xC2\xB7 " + std::string(words_.text(msg::message_stopped));
        break;
      case message_status::interrupted:
        meta += " \xC2\xB7 " + std::string(words_.text(msg::message_interrupted));
        break;
      case message_status::error:
        meta += " \xC2\xB7 " + std::string(words_.text(msg::message_failed));
        meta_color = colors_.error;
        break;
      default:
        break;
    }
    if (m->status == message_status::streaming && !model.progress_label().empty())
      meta += " \xC2\xB7 " + model.progress_label();
  }
  const float meta_width = painter_.width(face::small, meta);
  const float meta_x = r.mine ? left + width - meta_width - 4 : left + 4;
  painter_.draw(list, face::small, {meta_x, y + 3}, meta_color, meta);
  if (r.pending && r.pending->failed) {
    ImVec2 size;
    const std::string_view retry = words_.text(msg::button_retry);
    const float retry_width = pill_width(painter_, face::regular, retry);
    if (pill_button(painter_, "##retry", retry, {meta_x - retry_width - 8, y}, face::regular,
                    colors_.text, colors_.surface, colors_.border, &size))
      model.retry_pending(r.pending->client_msg_id);
    const std::string& why = r.pending->error;
    const float wrap = std::min(painter_.width(face::small, why), bubble_max_width(width));
    painter_.draw_wrapped(list, face::small,
                          {left + width - wrap - 4, y + retry_height + failure_gap}, wrap,
                          meta_color, why);
  }
  y += meta_height;

  if (m && !m->buttons.empty()) {
    float bx = left;
    for (const button& b : m->buttons) {
      ImVec2 size;
      if (pill_button(painter_, b.id.c_str(), b.label, {bx, y + 2}, face::regular, colors_.brand,
                      colors_.background, colors_.brand, &size))
        model.press_button(m->id, b.id);
      bx += size.x + 8;
    }
    y += font_size * 2 + 8;
  }
  if (m && m->author_role == role::assistant && m->status != message_status::streaming)
    draw_actions(model, services, *m, {left, y}, last_reply);
  ImGui::PopID();
}

void chat_view::draw_actions(view_model& model, view_services& services, const message& m,
                             ImVec2 pos, bool last_reply) {
  const ImU32 ink = colors_.muted;
  const ImU32 hover = colors_.surface;
  const auto rating = model.rating_of(m);
  float x = pos.x;
  if (icon_button("##copy", {x, pos.y}, action_size, icon::copy, ink, hover, 12))
    services.copy_text(m.text);
  x += action_size + 2;
  if (icon_button("##up", {x, pos.y}, action_size, icon::thumb_up,
                  rating == 1 ? colors_.brand : ink, hover, 13))
    model.rate(m.id, 1);
  x += action_size + 2;
  if (icon_button("##down", {x, pos.y}, action_size, icon::thumb_down,
                  rating == -1 ? colors_.brand : ink, hover, 13))
    model.rate(m.id, -1);
  x += action_size + 2;
  if (last_reply &&
      icon_button("##again", {x, pos.y}, action_size, icon::regenerate, ink, hover, 13))
    model.regenerate(m.id);
}

void chat_view::draw_typing(ImDrawList* list, ImVec2 pos, const view_model& model,
                            timestamp_ms now) {
  const float w = 58, h = font_size * 2.2f;
  list->AddRectFilled(pos, {pos.x + w, pos.y + h}, colors_.reply_bubble, bubble_rounding,
                      ImDrawFlags_RoundCornersAll & ~ImDrawFlags_RoundCornersBottomLeft);
  for (int i = 0; i < 3; ++i) {
    const double phase = (now % 1200) / 1200.0 * 2 * std::numbers::pi - i * 0.9;
    const float lift = static_cast<float>(std::max(0.0, std::sin(phase))) * 3;
    list->AddCircleFilled({pos.x + 17 + i * 12.f, pos.y + h / 2 - lift}, 3.2f,
                          with_alpha(colors_.muted, 0.55f + lift / 8), 12);
  }
  if (!model.progress_label().empty())
    painter_.draw(list, face::small, {pos.x + w + 10, pos.y + (h - small_size) / 2}, colors_.muted,
                  model.progress_label());
  animating_ = true;
}

void chat_view::draw_ask(view_model& model, const ask_frame& ask, ImVec2 pos, float width) {
  ImDrawList* list = ImGui::GetWindowDrawList();
  const float h = ask_height;
  list->AddRect(pos, {pos.x + width, pos.y + h}, colors_.brand, 12, 0, 1.5f);
  list->PushClipRect(pos, {pos.x + width - 10, pos.y + h}, true);
  painter_.draw(list, face::bold, {pos.x + 12, pos.y + 10}, colors_.text, ask.question);
  list->PopClipRect();
  ImGui::PushID(ask.request_id.c_str());
  if (ask.choices.empty()) {
    painter_.draw(list, face::small, {pos.x + 12, pos.y + 40}, colors_.muted,
                  words_.text(msg::ask_type_answer));
  } else {
    float x = pos.x + 12;
    for (std::size_t i = 0; i < ask.choices.size(); ++i) {
      ImGui::PushID(static_cast<int>(i));
      ImVec2 size;
      if (pill_button(painter_, "##choice", ask.choices[i], {x, pos.y + 36}, face::regular,
                      colors_.brand, colors_.background, colors_.brand, &size))
        model.answer(ask.request_id, ask.choices[i]);
      x += size.x + 8;
      ImGui::PopID();
    }
  }
  ImGui::PopID();
}

// ---- banners ------------------------------------------------------------------------------

float chat_view::banners_height(const view_model& model, float) const {
  return static_cast<float>(model.banners().size()) * 40.f;
}

void chat_view::draw_banners(view_model& model, ImVec2 pos, float width) {
  ImDrawList* list = ImGui::GetWindowDrawList();
  float y = pos.y;
  for (const banner& b : model.banners()) {
    ImGui::PushID(static_cast<int>(b.id));
    const ImU32 tone = b.level == notification_level::error     ? colors_.error
                       : b.level == notification_level::warning ? colors_.warning
                                                                : colors_.brand;
    const ImVec2 min{pos.x + 10, y + 4}, max{pos.x + width - 10, y + 36};
    list->AddRectFilled(min, max, with_alpha(tone, 0.12f), 8);
    list->AddRectFilled(min, {min.x + 3, max.y}, tone, 8, ImDrawFlags_RoundCornersLeft);
    float right = max.x - 30;
    if (icon_button("##dismiss", {right, min.y + 3}, 26, icon::close, colors_.muted,
                    colors_.surface, 10))
      model.dismiss_banner(b.id);
    if (b.retry) {
      ImVec2 size;
      const std::string_view retry = words_.text(msg::button_retry);
      right -= pill_width(painter_, face::regular, retry) + 8;
      if (pill_button(painter_, "##retry", retry, {right, min.y + 1}, face::regular, colors_.text,
                      colors_.background, colors_.border, &size))
        model.retry_banner(b.id);
    }
    list->PushClipRect(min, {right - 6, max.y}, true);
    painter_.draw(list, face::small, {min.x + 12, min.y + 8}, colors_.text, b.text);
    list->PopClipRect();
    ImGui::PopID();
    y += 40;
  }
}

// ---- input bar ----------------------------------------------------------------------------

void chat_view::draw_input(view_model& model, view_services& services, ImVec2 pos, float width,
                           timestamp_ms now) {
  ImDrawList* list = ImGui::GetWindowDrawList();
  list->AddLine(pos, {pos.x + width, pos.y}, colors_.border);
  const float button = 40;
  const ImVec2 box_min{pos.x + 12, pos.y + 12};
  const ImVec2 box_max{pos.x + width - 12 - button - 8, pos.y + input_bar_height - 12};
  list->AddRectFilled(box_min, box_max, colors_.surface, 20);
  list->AddRect(box_min, box_max, colors_.border, 20);
  services.place_input({box_min.x + 14, box_min.y + 4}, {box_max.x - 10, box_max.y - 4},
                       colors_.text, true);
  const ImVec2 button_pos{pos.x + width - 12 - button, pos.y + (input_bar_height - button) / 2};
  if (model.streaming_reply()) {
    list->AddCircleFilled({button_pos.x + button / 2, button_pos.y + button / 2}, button / 2,
                          colors_.brand, 24);
    if (icon_button("##stop", button_pos, button, icon::stop, colors_.on_brand,
                    with_alpha(colors_.on_brand, 0.1f), 14))
      model.stop_reply();
  } else {
    const bool has_text = !services.input_text().empty();
    const ImU32 fill = has_text ? colors_.brand : colors_.border;
    list->AddCircleFilled({button_pos.x + button / 2, button_pos.y + button / 2}, button / 2, fill,
                          24);
    if (icon_button("##send", button_pos, button, icon::send,
                    has_text ? colors_.on_brand : colors_.muted, with_alpha(colors_.on_brand, 0.1f),
                    15))
      submit(model, services, now);
  }
}

void chat_view::submit(view_model& model, view_services& services, timestamp_ms now) {
  const std::string text = services.input_text();
  bool taken = false;
  const transcript* t = model.current();
  const auto free_text_ask = t ? std::find_if(t->open_asks().begin(), t->open_asks().end(),
                                              [](const ask_frame& a) { return a.choices.empty(); })
                               : std::vector<ask_frame>::const_iterator{};
  if (t && free_text_ask != t->open_asks().end()) {
    const std::string request_id = free_text_ask->request_id;
    model.answer(request_id, text);
    taken = text.find_first_not_of(" \t\r\n") != std::string::npos;
  } else {
    taken = model.send_text(text, now);
  }
  if (taken) {
    services.clear_input();
    stick_to_bottom_ = true;
  }
  services.focus_input();
}

}  // namespace palaver::web
