-- wrk script for bench/load.sh: each request asks for a page picked at
-- random from the file given after `--`, one path a line.
local paths = {}

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  math.randomseed(os.time() + (tonumber(tostring({}):sub(8)) or 0))
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end
