-- wrk script: POST /v1/feedback with 100 new items per request (unique ids per thread and call).
-- Used by bench/bench_load.py --wrk; the Authorization header comes from wrk's -H option.
local threads = 0
function setup(thread)  -- runs in the main Lua state: one tag per thread
  threads = threads + 1
  thread:set("tag", threads)
end

local counter = 0
local texts = {
  "The app crashes when I upload a photo",
  "Delivery was late again and nobody answered",
  "التطبيق يتوقف عند تحميل الصور",
  "המשלוח הגיע באיחור של שבוע",
  "پشتیبانی خیلی کند جواب می‌دهد",
  "Sąskaita buvo per didelė šį mėnesį",
}

request = function()
  counter = counter + 1
  local items = {}
  for i = 1, 100 do
    local text = texts[(counter + i) % #texts + 1]
    items[i] = string.format(
      '{"id":"wrk-%s-%d-%d","text":"%s","nps":%d,"segments":{"plan":"pro"}}',
      tostring(tag), counter, i, text, (counter + i) % 11
    )
  end
  local body = '{"items":[' .. table.concat(items, ",") .. ']}'
  -- wrk.format uses only the headers it is given: copy -H's (Authorization) and add ours.
  local headers = {["Content-Type"] = "application/json"}
  for name, value in pairs(wrk.headers) do
    headers[name] = value
  end
  return wrk.format("POST", "/v1/feedback", headers, body)
end
