"""繁體中文（台灣）的報告文字。key 必須與其他語言完全相同（有測試檢查）。

寫法：像認真的學生寫作業答案，專有名詞沿用英文（saliency map、SmoothGrad、guided
backpropagation、LIME、superpixel、filter），數字與單位和英文版相同。
"""

TEXTS = {
    # -- 標題 ----------------------------------------------------------------------------------------
    "pdf_title": "解釋 CNN 食物分類器",
    "report_title": "# 解釋 CNN 食物分類器",
    "report_intro": (
        "這份報告說明{{model}}如何分類食物照片（{{data}}，使用{{split}}）。報告依序回答四個問題："
        "（1）預測對哪些像素最敏感（saliency map）；（2）某一個卷積 filter 對什麼樣的圖案有反應；"
        "（3）LIME 認為哪些影像區域最關鍵，並與 confusion matrix 對照；（4）SmoothGrad 與 guided "
        "backpropagation 如何改變這些圖。答案裡的每個數字都是這次執行時算出來的，所以換了參數，內容也會跟著正確更新。"),
    "data_default": "內建的示範照片（2017 年印度食物成分表，5 個類別）",
    "model_default": "以 ImageNet 預訓練的 EfficientNet-Lite0 加上訓練好的食物分類頭",
    "model_classic": "經典的 Food-11 CNN（5 個卷積區塊加 3 層全連接層）",
    "split_training": "訓練集",
    "split_validation": "驗證集",
    "split_evaluation": "評估集",
    # -- 設定 ----------------------------------------------------------------------------------------
    "setup_title": "## 0. 解釋的對象",
    "setup_data": "**資料**：資料夾 {{folder}}，共 {{classes}} 個類別。各類別在各資料集的張數如下：",
    "col_total": "合計",
    "col_class": "類別",
    "setup_skipped": ("**略過的檔案**：要解釋的資料集中有 {{skipped}} 張影像無法讀取，已略過（例如 {{listed}}）；"
                      "另有 {{unparsed}} 個檔名不符合 `<label>_<n>.jpg` 的檔案未使用。"),
    "setup_skipped_none": "**略過的檔案**：沒有。每個影像檔都能讀取，檔名也都符合 `<label>_<n>.jpg`。",
    "checkpoint_default": "專案內建的預設分類頭（`model/default_head.pt`）",
    "checkpoint_none": "無（隨機權重，只用來測試流程）",
    "setup_model": (
        "**模型**：{{arch}}，共 {{params}} 個參數，輸入為 {{size}}x{{size}} 的 RGB 影像，數值範圍 [0, 1]"
        "（縮放方式：{{resize}}），checkpoint：{{checkpoint}}，裝置：{{device}}。在{{split}}上的準確率為 "
        "**{{accuracy}}**（{{n}} 張中答對 {{correct}} 張）。"),
    "setup_layers": "**卷積層**（共 {{count}} 層）：設定 `layer` 參數時請用下表的名稱。",
    "col_layer": "層",
    "col_alias": "別名",
    "col_filters": "filter 數",
    "col_kernel": "卷積核",
    "col_groups": "分組",
    "setup_unreadable_ids": "指定的影像 {{ids}} 無法讀取，已略過。",
    "setup_images_given": "**要解釋的影像**：`image_ids` 指定的 {{n}} 張影像：",
    "setup_images_auto": (
        "**要解釋的影像**：自動挑選 {{n}} 張（依類別分層抽樣，seed 為 {{seed}}）：每個類別都會選到，"
        "而且只要資料集裡同時有預測正確和預測錯誤的影像，兩種都會包含在內。"),
    "col_image": "影像",
    "col_true": "真實類別",
    "col_predicted": "預測類別",
    "col_probability": "機率",
    "col_correct": "是否正確",
    "yes": "正確",
    "no": "錯誤",
    "row_label": "{{id}}\n真實：{{true}}\n預測：{{pred}}",
    # -- 第 1 題 -------------------------------------------------------------------------------------
    "q1_title": "## 1. Saliency map：哪些像素最重要？",
    "q1_method_max_abs": (
        "Saliency map（Simonyan 等人，2014）是預測類別分數對輸入像素的梯度：如果稍微改動某個像素，分數就會大幅改變，"
        "那個像素在圖上就會很亮。這裡畫的是 $M(x) = \\max_{c} \\left| \\partial y_{\\hat k} / \\partial x_{c} "
        "\\right|$，也就是對預測類別 $\\hat k$ 取三個顏色通道中梯度絕對值的最大值（`saliency_variant = \"max_abs\"`）。"
        "每張圖各自縮放後再顯示。"),
    "q1_method_course": (
        "Saliency map 顯示模型的 loss 對每個像素有多敏感。這裡用的是課程版本（`saliency_variant = \"course\"`）："
        "$M(x) = \\max_{c} \\left| \\partial \\mathrm{CE}(f(x), y) / \\partial x_{c} \\right|$，也就是真實標籤 $y$ "
        "的 cross-entropy loss 對像素的梯度，取三個顏色通道中絕對值的最大值。每張圖各自縮放後再顯示。"),
    "fig_image": "原圖",
    "fig_saliency_map": "saliency map",
    "fig_overlay": "疊圖",
    "q1_table_intro": (
        "為了用數字來解讀這些圖，我們把像素分成「食物」和「背景」兩類：接近白色、飽和度低的像素（盤子、紙張、攝影棚背景）"
        "算作背景。下表列出每個類別的 saliency 有多少比例落在食物像素上，以及食物佔整張影像的面積比例；"
        "兩者的比值大於 1，表示 saliency 比平均分布時更集中在食物上。"),
    "col_images": "張數",
    "col_saliency_food": "落在食物上的 saliency",
    "col_food_area": "食物面積",
    "col_ratio": "比值",
    "fig_saliency_food": "落在食物上的 saliency",
    "fig_food_area": "食物面積",
    "fig_q1_share_title": "Saliency 落在食物上的比例與食物面積比例",
    "fig_share_axis": "比例",
    "q1_answer": (
        "**答：** 在這 {{n}} 張影像中，有 {{share}} 的 saliency 落在食物像素上，而食物只佔影像面積的 {{area}}"
        "（比值 {{ratio}}），可見模型的梯度{{direction}}。依類別來看，*{{best}}* 的 saliency 最集中在食物上"
        "（{{best_share}}），*{{worst}}* 最少（{{worst_share}}）。看疊圖時可以注意亮點是沿著食物的邊緣和紋理，"
        "還是落在盤子的邊緣：saliency map 標出的是分數敏感的位置，而不是整個物體，所以看起來會是零散的亮點，"
        "而不是填滿的形狀。"),
    "q1_more": "主要集中在食物上，而不是盤子或背景",
    "q1_less": "並沒有集中在食物上，有不少敏感度落在盤子或背景",
    "q1_answer_wrong": (
        "預測正確的影像有 {{right}} 的 saliency 落在食物上（{{n_right}} 張），預測錯誤的則是 {{wrong}}"
        "（{{n_wrong}} 張）。如果預測錯誤的比例較低，代表背景線索可能是出錯的原因之一；不過影像這麼少，只能當作線索，不能當作證明。"),
    "q1_answer_no_wrong": "這次解釋的影像全部預測正確，因此無法比較預測正確與預測錯誤的影像。",
    "q1_answer_no_right": "這次解釋的影像沒有一張預測正確，因此無法比較預測正確與預測錯誤的影像。",
    "q1_caveat": "*注意：* 食物與背景是用顏色粗略區分的：白色的食物會被算成背景，深色的背景則會被算成食物。",
    # -- 第 2 題 -------------------------------------------------------------------------------------
    "q2_title": "## 2. 一個 filter 對什麼有反應？",
    "layer_default_why_default": (
        "這是這個模型的預設層：第 3 階段的最後一個區塊（stride 8，輸入 224 像素時輸出 28x28 的特徵圖），位於網路中段，"
        "這裡的 filter 主要對紋理和顏色圖案有反應，而不是邊緣（較淺層）或整個物體（較深層）；而且 forward 只需算到這一層，"
        "gradient ascent 的成本也比較低"),
    "layer_default_why_classic": (
        "這是這個模型的預設層：五個卷積區塊中的第三個，位於網路中段，這裡的 filter 主要對紋理和局部構造有反應，"
        "而不是邊緣（較淺層）或整道菜（較深層）"),
    "layer_given": "由 `layer` 參數指定",
    "filter_default_why": "由程式自動挑選：這一層中最能區分類別的 filter（各類別平均 activation 的差距，相對於它在各影像間的變化最大）",
    "filter_given": "由 `filter_index` 參數指定",
    "q2_method": (
        "層 `{{layer}}`（共 {{filters}} 個 filter），{{why}}。Filter **{{filter}}**，{{pick}}。\n\n"
        "*Gradient ascent*（activation maximisation）從一張 {{size}}x{{size}} 像素的灰色雜訊影像開始，用 Adam 更新像素 "
        "{{steps}} 步，讓這個 filter 的平均 activation 愈大愈好。*一般版* 直接更新像素（和課程程式碼相同），"
        "容易產生高頻的雜亂圖案；*正則化版* 則透過 sigmoid 優化一張低解析度影像，加上隨機平移與縮放、"
        "total variation 懲罰項和定期模糊，得到較平滑、較容易看懂的圖。*Activation map* 則顯示這個 filter "
        "在真實照片的哪些位置被激發，所有影像共用同一個色階。"),
    "fig_plain": "一般版（activation {{value}}）",
    "fig_regularized": "正則化版（activation {{value}}）",
    "fig_q2_filter_title": "{{layer}} 第 {{filter}} 個 filter 的 gradient ascent 結果",
    "fig_grid_plain": "#{{filter}} 一般版",
    "fig_grid_reg": "#{{filter}} 正則化版",
    "fig_q2_grid_title": "{{layer}} 中最能區分類別的幾個 filter：上排一般版、下排正則化版",
    "fig_activation": "activation",
    "fig_q2_class_title": "Filter {{filter}} 在各類別的平均 activation",
    "fig_mean_activation": "平均 activation",
    "fig_all_images": "全部影像",
    "q2_answer": (
        "**答：** Gradient ascent 把 filter {{filter}} 的平均 activation 從 {{plain_start}} 提高到 {{plain_final}}"
        "（一般版）與 {{reg_final}}（正則化版）；而在這次解釋的照片中，最高的平均 activation 為 {{real_mean_max}}"
        "{{ascent_comparison}}在資料集的 {{n}} 張影像中，這個 filter 對 *{{top}}* 反應最強（平均 {{top_value}}），"
        "對 *{{bottom}}* 最弱（平均 {{bottom_value}}；全部影像平均為 {{overall}}）。在解釋的照片裡，"
        "`{{strongest}}`（{{strongest_class}}）最能激發它（平均 {{strongest_value}}），它的 activation map "
        "顯示了圖案出現在哪些區域。比較圖列出這一層最能區分類別的 {{grid}} 個 filter，每張圖都是其中一個 filter 偏好的圖案。"),
    "q2_ascent_more": "。也就是說，合成出來的圖比這些食物照片都更能激發這個 filter：它把這個 filter 偏好的圖案以最純粹的形式鋪滿整張圖。",
    "q2_ascent_less": "。Gradient ascent 還沒有超過真實照片，需要更多步數（`ascent_steps`）之後，這些圖才適合解讀成 filter 偏好的圖案。",
    # -- 第 3 題 -------------------------------------------------------------------------------------
    "q3_title": "## 3. LIME 與 confusion matrix",
    "q3_method": (
        "LIME（Ribeiro 等人，2016）先把影像切成 superpixel（SLIC，目標約 {{segments}} 塊），隨機關掉其中一部分"
        "（被關掉的 superpixel 換成它自己的平均顏色），記錄模型對 {{samples}} 張這樣擾動過的影像所輸出的機率，"
        "再用加權線性模型去擬合「哪些 superpixel 開著」與輸出機率的關係。線性模型的權重告訴我們哪些 superpixel "
        "支持（綠框）或反對（紅框）某個類別；圖中各標出前 5 名。R2 是這個線性替代模型的擬合程度（seed 為 {{seed}}）。"),
    "fig_confusion_counts": "Confusion matrix（{{split}}，張數）",
    "fig_confusion_normalized": "Confusion matrix（{{split}}，佔各真實類別的比例）",
    "fig_predicted_label": "預測類別",
    "fig_true_label": "真實類別",
    "fig_lime_pred": "預測：{{name}}\np={{p}}，R2={{r2}}",
    "fig_lime_true": "真實類別：{{name}}\np={{p}}",
    "fig_lime_second": "第二高：{{name}}\np={{p}}",
    "fig_superpixels": "superpixel",
    "q3_table_intro": (
        "下表依準確率由高到低列出各類別在{{split}}上的準確率（整體 {{accuracy}}），並對照 LIME 在該類別解釋影像上的選擇："
        "預測類別的正向 LIME 權重有多少比例落在食物像素上、這些影像中食物所佔的面積，以及替代模型的 R2。"),
    "col_support": "張數",
    "col_accuracy": "準確率",
    "col_lime_food": "LIME 權重落在食物上",
    "col_r2": "R2",
    "q3_answer": (
        "**答：** 辨識得最好的類別是 *{{best}}*（準確率 {{best_acc}}），LIME 把 {{best_lime}} 的正向權重放在食物像素上；"
        "最差的是 *{{worst}}*（{{worst_acc}}），只有 {{worst_lime}} 的正向權重落在食物上。就所有解釋的影像來看，"
        "正向權重有 {{lime_all}} 落在食物上，而食物面積佔 {{area_all}}。最常見的混淆是把 *{{confused_true}}* "
        "預測成 *{{confused_pred}}*（{{confused_n}} 張，佔該類別的 {{confused_rate}}）。如果 LIME 選出的支持 superpixel "
        "落在食物本身，表示模型是看食物的外觀來判斷；如果落在盤子或背景，表示判斷依賴的是周遭環境，這也正是容易出錯的地方。"
        "替代模型的 R2 平均為 {{r2}}：R2 愈低，線性權重就愈不能照字面解讀。"),
    "q3_answer_wrong": (
        "舉例來說，`{{id}}` 是 *{{true}}* 的影像，卻被預測成 *{{pred}}*（p={{p}}）；支持這個錯誤類別的正向權重中，"
        "有 {{share}} 落在食物像素上。"),
    "q3_caveat": (
        "*注意：* LIME 的權重會受到切割方式、取樣數量和 seed 影響；取樣數少時結果較不穩定"
        "（相關參數：`lime_samples`、`lime_segments`、`seed`）。"),
    # -- 第 4 題 -------------------------------------------------------------------------------------
    "q4_title": "## 4. SmoothGrad 與 guided backpropagation",
    "q4_rules": (
        "這幾種方法唯一的差別，在於傳到 rectifier 的梯度 $R^{l+1}$ 如何往回傳給它的輸入 $f^{l}$；forward 時計算的是 "
        "$f^{l+1} = \\max(f^{l}, 0)$：\n\n"
        "$$\\text{backpropagation（vanilla gradient）：}\\quad R^{l}_i = [f^{l}_i > 0]\\, R^{l+1}_i$$\n\n"
        "$$\\text{deconvnet：}\\quad R^{l}_i = [R^{l+1}_i > 0]\\, R^{l+1}_i$$\n\n"
        "$$\\text{guided backpropagation：}\\quad R^{l}_i = [f^{l}_i > 0]\\,[R^{l+1}_i > 0]\\, R^{l+1}_i$$\n\n"
        "其中 $[\\cdot]$ 在條件成立時為 1，否則為 0。對 ReLU6，即 $\\min(\\max(f, 0), 6)$，forward 的遮罩變成 "
        "$[0 < f^{l}_i < 6]$；這裡的實作對 ReLU6 也套用同樣的規則（Captum 的 GuidedBackprop 只處理 ReLU，"
        "在 EfficientNet-Lite0 上會默默退回一般的梯度）。"),
    "q4_smoothgrad": (
        "SmoothGrad（Smilkov 等人，2017）把同一張影像加上雜訊後的多張結果取平均：\n\n"
        "$$\\hat M(x) = \\frac{1}{n} \\sum_{i=1}^{n} M\\left(x + \\epsilon_i\\right), \\qquad "
        "\\epsilon_i \\sim \\mathcal{N}\\left(0, \\sigma^2 \\left(x_{\\max} - x_{\\min}\\right)^2\\right)$$\n\n"
        "這次執行的參數：$\\sigma$ = {{sigma}}（相對於影像的數值範圍），$n$ = {{samples}} 張加雜訊的影像，seed 為 {{seed}}。"
        "SmoothGrad x guided backprop 則是對 guided backprop 的結果做同樣的平均。四種圖都是針對預測類別，"
        "取顏色通道中絕對值的最大值，並且每張圖各自縮放後再顯示。"),
    "method_vanilla": "vanilla gradient",
    "method_smoothgrad": "SmoothGrad",
    "method_guided": "guided backprop",
    "method_smooth_guided": "SmoothGrad x guided backprop",
    "q4_table_intro": (
        "每種方法各算兩個數字，並對解釋的影像取平均：圖中最亮的 10 % 像素佔了多少總量（愈高代表愈集中、愈銳利），"
        "以及落在食物像素上的比例（這些影像中食物面積佔 {{area}}）。"),
    "col_method": "方法",
    "col_top10": "最亮 10 % 像素所佔比例",
    "q4_answer": (
        "**答：** 各方法最亮的 10 % 像素所佔的比例為：vanilla gradient {{vanilla_top}}、SmoothGrad {{smooth_top}}、"
        "guided backprop {{guided_top}}、SmoothGrad x guided backprop {{sg_top}}；最集中的是 *{{sharpest}}*。"
        "Vanilla gradient 看起來很雜亂，是因為 ReLU 網路的梯度在相鄰像素之間會劇烈跳動；把 {{samples}} 張加了雜訊"
        "（$\\sigma$ = {{sigma}}）的結果平均之後，大部分雜訊會互相抵消，所以 SmoothGrad 的圖通常比較平滑。"
        "Guided backprop 只讓正的梯度通過有被激發的單元，所以結果看起來像照片的邊緣描線；再加上 SmoothGrad，"
        "則能進一步去掉剩下的零星雜點。各圖之間的等級相關係數：vanilla 與 SmoothGrad 為 {{corr_smooth}}，"
        "guided backprop 與它的 SmoothGrad 版本為 {{corr_guided}}，vanilla 與 guided backprop 為 {{corr_vg}}。"
        "落在食物像素上的比例：vanilla {{vanilla_food}}、SmoothGrad {{smooth_food}}、guided backprop {{guided_food}}、"
        "SmoothGrad x guided backprop {{sg_food}}；最集中在食物上的是 *{{most_food}}*。"),
    "q4_caveat": (
        "*注意：* 圖比較銳利、比較像原圖，並不代表它比較忠實地反映模型：guided backprop 不論對哪個類別，"
        "都會在某種程度上重建出原圖（Adebayo 等人，2018），所以它清楚的邊緣應該解讀成「網路看到了什麼」，"
        "而不是「網路為什麼選這個類別」。"),
    # -- 5. 可信度 ----------------------------------------------------------------------------------
    "q5_title": "## 5. 這些圖有多可信？",
    "q5_method": (
        "圖好看不代表它忠實反映模型。以下在 {{n}} 張影像上（分層抽樣、固定 seed）做兩種量化檢查，每種方法都解釋預測類別：\n\n"
        "* *Deletion／insertion*（Petsiuk 等人，2018）：依照圖的數值把像素排序；deletion 分 {{steps}} 步把最重要的像素換成"
        "替代值（{{substrate}}），記錄該類別的機率變化（圖愈忠實，機率掉得愈快：**面積愈小愈好**）；insertion 則把像素依序"
        "放回一張模糊過的影像（**面積愈大愈好**）。隨機圖與中心先驗圖作為比較基準。\n"
        "* *Cascading randomisation*（Adebayo 等人，2018）：把模型副本的各層從最上層開始依序重新初始化（量測 "
        "{{random_steps}} 步，最後一步為全部隨機），每一步重新計算解釋圖；如果圖真的取決於模型學到的東西，"
        "它與原圖的 Spearman 等級相關係數和 SSIM 應該會**掉到接近 0**。\n\n"
        "為了控制執行時間，這一節的 SmoothGrad 用 n = {{sg}}，LIME 用 {{lime}} 個樣本，integrated gradients 用 "
        "{{ig}} 步，Grad-CAM 則用在 `{{layer}}` 層。"),
    "q5_table_intro": "數值為各影像的平均，括號內為 95 % 信賴區間 [下限, 上限]；時間是在這台機器上算一張圖所需的秒數（只算解釋圖本身）。",
    "col_deletion": "Deletion 面積（愈小愈好）",
    "col_insertion": "Insertion 面積（愈大愈好）",
    "col_spearman": "隨機化後的 Spearman",
    "col_ssim": "隨機化後的 SSIM",
    "col_seconds": "秒／張",
    "fig_q5_title": "模型逐層隨機化時，解釋圖與原圖的相似度",
    "fig_q5_x": "重新初始化的層數（從最上層開始）",
    "fig_q5_y": "Spearman 等級相關係數",
    "method_lime": "LIME",
    "method_gradcam": "Grad-CAM",
    "method_ig": "Integrated Gradients",
    "baseline_random": "隨機圖（基準）",
    "baseline_centre": "中心先驗圖（基準）",
    "list_sep": "、",
    "none": "無",
    "q5_answer_faithfulness": (
        "**答：** 忠實度方面，deletion 面積最小的是 {{best_del}}（{{best_del_value}}；隨機圖為 {{random_del}}），"
        "insertion 面積最大的是 {{best_ins}}（{{best_ins_value}}；隨機圖為 {{random_ins}}）。{{n_methods}} 種方法中有 "
        "{{n_beat}} 種在兩條曲線上都勝過隨機圖：{{beat}}。由於影像數很少，信賴區間很寬，比區間還小的差距不能當作證據。"),
    "q5_answer_randomisation": (
        "合理性檢查方面，把模型隨機化之後，各方法與原圖的等級相關係數為：vanilla gradient {{saliency}}、"
        "guided backprop {{guided}}、SmoothGrad x guided backprop {{smooth_guided}}。變化最小的是 {{most}}"
        "（{{most_value}}），變化最大的是 {{least}}（{{least_value}}）。"),
    "q5_guided_fails": (
        "模型的權重被破壞後，guided backprop 的變化比 vanilla gradient 還小，和 Adebayo 等人的發現一致：它清晰的圖像"
        "大多來自影像本身和網路架構，而不是模型學到的東西。對第 4 題來說，這表示 guided backprop 銳利的圖不能當作"
        "「模型為什麼選這個類別」的證據，而 SmoothGrad 也無法彌補這一點。"),
    "q5_guided_passes": (
        "在這裡，模型隨機化後 guided backprop 的變化至少和 vanilla gradient 一樣大，所以在這個模型和這些影像上，"
        "它通過了 Adebayo 等人在其他網路上發現它沒通過的合理性檢查（ReLU6 的規則和量測的影像數少可能都有影響）；"
        "第 4 題中的 guided backprop 圖可以和其他方法一樣，謹慎地解讀。"),
    "q5_answer_lime": (
        "LIME 的穩定度：用兩個 seed、各 {{samples}} 個樣本解釋同一張圖，前 5 名 superpixel 的 Jaccard 指數平均為 "
        "{{jaccard}}（1 代表完全相同），替代模型的 R2 為 {{score}}；這兩個數字愈低，第 3 題的 LIME 結果就愈受隨機性影響。"),
    "q5_answer_time": (
        "計算成本：最快的是 {{fastest}}（每張 {{fastest_s}} 秒），最慢的是 {{slowest}}（每張 {{slowest_s}} 秒），"
        "以 {{n}} 張影像量測。"),
    "closing": "這次執行的 {{n}} 張圖都以 PNG 檔存在 `{{figures}}/` 資料夾中。",
    # -- Food-11 類別名稱（資料的 classes.json 沒有這個語言的名稱時使用） ---------------------------------
    "food11_classes": "麵包 | 乳製品 | 甜點 | 蛋 | 油炸食物 | 肉類 | 麵食 | 米飯 | 海鮮 | 湯 | 蔬菜水果",
    # -- 參數錯誤訊息 ---------------------------------------------------------------------------------
    "err_choice": "參數 {{name}} = {{value}} 不正確，請使用下列其中之一：{{valid}}。",
    "err_int_min": "參數 {{name}} = {{value}} 不正確，請使用大於或等於 {{minimum}} 的整數。",
    "err_int_min_optional": "參數 {{name}} = {{value}} 不正確，請使用 None 或大於或等於 {{minimum}} 的整數。",
    "err_bool": "參數 {{name}} = {{value}} 不正確，請使用 True 或 False。",
    "err_bool_optional": "參數 {{name}} = {{value}} 不正確，請使用 None、True 或 False。",
    "err_text": "參數 {{name}} = {{value}} 不正確，請使用非空白的字串。",
    "err_text_optional": "參數 {{name}} = {{value}} 不正確，請使用 None 或非空白的字串。",
    "err_image_ids_type": ("參數 {{name}} = {{value}} 不正確，請給影像 id 的 list（不含副檔名的檔名），"
                           "例如 [\"0_3\", \"4_70\"]；給 [] 則由程式自動挑選。"),
    "err_positive": "參數 {{name}} = {{value}} 不正確，請使用大於 0 的數字（例如 0.2）。",
    "err_data_dir": "參數 data_dir = {{value}} 無法使用：{{detail}}",
    "err_checkpoint": "參數 checkpoint = {{value}} 與模型不符：{{detail}}",
    "err_model": "無法依參數 model_arch／channel_order／input_size／device 建立模型：{{detail}}",
    "err_classes": ("參數 checkpoint = {{value}}：模型有 {{classes}} 個類別，但資料用了 {{labels}} 個標籤；"
                    "請使用在這份資料上訓練的 checkpoint（或把 model_arch 設為 \"classic\"）。"),
    "err_image_id": ("參數 image_ids：{{split}} 資料集（共 {{count}} 張）中沒有影像 {{value}}；"
                     "影像 id 是不含副檔名的檔名，例如 {{examples}}。"),
    "err_n_images": "參數 n_images = {{value}} 不正確：{{split}} 資料集只有 {{count}} 張影像。",
    "err_layer": "參數 layer = {{value}} 不是這個模型的層。可用的卷積層：{{valid}}。",
    "err_not_conv": "參數 layer = {{value}} 是 {{kind}}，不是卷積層；請從下列選擇：{{valid}}。",
    "err_filter_index": ("參數 filter_index = {{value}} 超出範圍：{{layer}} 層有 {{count}} 個 filter，"
                         "請使用 0..{{last}}（或設為 None 由程式自動挑選）。"),
}
